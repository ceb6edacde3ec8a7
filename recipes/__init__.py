"""Training recipes: one directory per recipe, shared machinery in `recipes.common`."""
