"""One base class for every error a user can fix: the CLI wrapper prints its message as one line."""


class UserError(ValueError):
    """Bad input (model, dataset, config, flag); the message says what is wrong and how to fix it."""
