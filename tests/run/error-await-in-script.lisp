(await (record never-asserted))
