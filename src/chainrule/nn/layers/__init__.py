"""layers (being written)"""
