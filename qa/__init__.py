"""Vraagbaak Burgerparticipatie: question answering with cited sources over one study."""

__version__ = "0.1.0"
