(workflow review
  (state draft
    (goto reveiw))
  (state review
    (terminal)))
