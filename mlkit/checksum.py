"""The SHA-256 of a file, for the weights and data files the course ships or downloads."""
import hashlib


def sha256_file(path, chunk=1 << 20):
    """The hex SHA-256 of the file at ``path``, read in chunks (large files stay out of memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
