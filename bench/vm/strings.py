# Strings: format 10^6 integers as "N," pieces, join them into one string of about
# 6.9 million characters, and count its characters.
def pieces(n):
    acc = []
    for i in range(n):
        acc.append(str(i) + ",")
    return acc


print(len("".join(pieces(1000000))))
