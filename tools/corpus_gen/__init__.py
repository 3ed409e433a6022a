"""roomwatch's live-room corpus generator; run it with ``python tools/gen_corpus.py``."""
