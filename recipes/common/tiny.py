"""The old path of core.tiny, kept for one release: `python -m recipes.common.tiny ...` still works."""

from core.tiny import SIZES, build, main  # noqa: F401

if __name__ == "__main__":
    main()
