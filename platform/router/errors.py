class RouterError(Exception):
    """The router refused a change or could not be reached; nothing that was serving changed."""
