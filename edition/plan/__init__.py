"""The flatplan: what goes on which pages, in order, before anything is laid out."""
