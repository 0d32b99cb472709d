"""The intake API for driver contacts."""
