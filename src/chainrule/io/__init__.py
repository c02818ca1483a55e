"""io (being written)"""
