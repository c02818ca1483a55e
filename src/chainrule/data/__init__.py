"""data (being written)"""
