#!/usr/bin/python3
"""Independent RFC 6962 Merkle tree hash, written from the RFC text only.

Reads hex-encoded leaf inputs (one per line) from the file given as argv[1]
and prints, for each size n in argv[2:], the hex root of the first n leaves.
"""
import hashlib
import sys


def mth(leaves):
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def main():
    with open(sys.argv[1]) as f:
        leaves = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    for size in sys.argv[2:]:
        print(mth(leaves[: int(size)]).hex())


if __name__ == "__main__":
    main()
