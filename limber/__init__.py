"""What the bot (``bot``) and the index (``index``) share: the one error family."""
