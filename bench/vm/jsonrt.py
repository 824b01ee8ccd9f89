# JSON: build a document of 6,000 records (about 1 MB encoded), encode it, decode the text,
# encode the result again and check the two texts are the same.
import json


def item(i):
    return {"id": i, "name": "item-" + str(i), "tags": ["alpha", "beta", "gamma"],
            "score": (i * 7) % 100, "active": i % 2 == 0,
            "owner": {"name": "owner-" + str(i % 50), "email": "o" + str(i % 50) + "@example.com"},
            "notes": "a note that makes the record about the size of a typical one"}


doc = {"version": 1, "records": [item(i) for i in range(6000)]}
text = json.dumps(doc, separators=(",", ":"))
again = json.dumps(json.loads(text), separators=(",", ":"))
print(len(text) if text == again else -1)
