# Map, filter, reduce over 10^6 integers: each step builds (or walks) a whole list.
from functools import reduce
from operator import add


def main():
    tripled = [x * 3 for x in range(1000000)]
    evens = [x for x in tripled if x % 2 == 0]
    print(reduce(add, evens, 0))


main()
