"""nn (being written)"""
