"""Pure-python local servers that speak the real archive protocols (range HTTP, DANDI API, S3 listing)."""
