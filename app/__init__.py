"""Reward Atlas: a knowledge base and explorer of reward design for LLM alignment."""

__version__ = "0.1.0"
