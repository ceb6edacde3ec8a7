"""`make demo`: an offline CPU run showing that RL with verifiable rewards improves a warm-started tiny VLM."""
