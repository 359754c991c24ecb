class BuildFailed(Exception):
    """The push's build cannot produce an image; the message says why, for the push's output."""
