"""onetouch: support-resolution automation for delivery drivers."""
