"""The ground floor: model families and loading, prompt building, the row schema, tiny builders, the user-error
base class and the CLI wrapper. It imports nothing of ours; everything else stands on it."""
