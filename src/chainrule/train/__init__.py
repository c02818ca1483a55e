"""train (being written)"""
