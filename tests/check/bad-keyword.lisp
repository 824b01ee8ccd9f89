(get {:a 1} :)
