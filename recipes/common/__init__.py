"""Machinery shared by every recipe: model families, tiny model builder, data loading, configs."""
