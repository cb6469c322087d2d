#!/usr/bin/python3
"""Independent RFC 9162 Merkle tree proofs, written from the RFC text only
(section 2.1: MTH in 2.1.1, PATH in 2.1.3.1, PROOF/SUBPROOF in 2.1.4.1).

Usage: rfc9162_reference.py LEAVES_FILE QUERY...

LEAVES_FILE holds one hex-encoded leaf input d(i) per line (the exact bytes
the log hashed; an empty line is an empty input). Each QUERY prints one line:
  root:N         MTH(D[0:N])
  path:M:N       PATH(M, D[0:N]), M 0-based: the hashes, space-separated
  proof:M:N      PROOF(M, D[0:N]): the hashes, space-separated
An empty proof prints "-".
"""
import hashlib
import sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = largest_power_of_two_below(n)
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    return subproof(m, d, True)


def show(hashes):
    return " ".join(h.hex() for h in hashes) or "-"


def main():
    sys.setrecursionlimit(10000)
    with open(sys.argv[1]) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the last line's newline, not an empty leaf
    leaves = [bytes.fromhex(line.strip()) for line in lines]
    for query in sys.argv[2:]:
        kind, *numbers = query.split(":")
        numbers = [int(x) for x in numbers]
        if kind == "root":
            print(mth(leaves[: numbers[0]]).hex())
        elif kind == "path":
            m, n = numbers
            print(show(path(m, leaves[:n])))
        elif kind == "proof":
            m, n = numbers
            print(show(proof(m, leaves[:n])))
        else:
            sys.exit("unknown query " + query)


if __name__ == "__main__":
    main()
