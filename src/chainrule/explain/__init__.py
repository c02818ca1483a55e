"""explain (being written)"""
