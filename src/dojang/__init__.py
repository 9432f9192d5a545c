"""dojang: tamper-evident electronic certificates at national scale."""

__all__ = ["__version__"]

__version__ = "0.1.0"
