"""The index: versions of passages, sentences and their vectors (FAISS and BM25) on disk, built
incrementally and switched in atomically."""
