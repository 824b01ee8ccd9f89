# The Takeuchi function: about 2.5 million calls, three arguments each, mostly non-tail.
def tak(x, y, z):
    if y < x:
        return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
    return z


print(tak(24, 16, 8))
