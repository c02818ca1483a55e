"""nn.functional (being written)"""
