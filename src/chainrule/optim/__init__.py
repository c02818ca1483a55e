"""optim (being written)"""
