#!/usr/bin/python3
"""Writes jwt-vectors.json: HS256 tokens made by PyJWT (Debian's python3-jwt), an implementation
independent of fillwire's, for fixed keys, nonces and query strings. fillwire's signer must produce
the same tokens byte for byte. Run: /usr/bin/python3 tests/data/make_jwt_vectors.py"""
import hashlib
import json
import os

import jwt

CASES = [
    ("access-key-1", "secret-key-1", "3f1c9a52-7b1e-4c1d-9a0e-1b2c3d4e5f60", ""),
    ("AKIA0123456789", "s3cr3t/with+symbols=", "8a7b6c5d-4e3f-4a1b-8c2d-0e1f2a3b4c5d",
     "market=KRW-BTC&states[]=wait&states[]=watch"),
    ("k", "", "00000000-0000-4000-8000-000000000000", "uuid=ac2dc2a3-fce9-40a2-a4f6-5987c25c438f"),
    ("ascii-key", "\u5bc6\u94a5-utf8-secret", "11111111-1111-4111-8111-111111111111", "page=1&limit=100"),
]

vectors = []
for access, secret, nonce, query in CASES:
    payload = {"access_key": access, "nonce": nonce}
    if query:
        payload["query_hash"] = hashlib.sha512(query.encode()).hexdigest()
        payload["query_hash_alg"] = "SHA512"
    token = jwt.encode(payload, secret, algorithm="HS256")
    vectors.append({"access_key": access, "secret_key": secret, "nonce": nonce,
                    "query": query, "token": token})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "jwt-vectors.json"), "w", encoding="utf-8") as f:
    json.dump(vectors, f, indent=1, ensure_ascii=False)
    f.write("\n")
