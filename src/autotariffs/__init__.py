"""autotariffs: how US Section 232 tariffs moved imports of Korean and Japanese cars."""

__version__ = "0.1.0"
