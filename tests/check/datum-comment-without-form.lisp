(def x 1)
#;
