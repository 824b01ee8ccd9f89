(throw {:code 42})
