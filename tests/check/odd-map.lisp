(def config {:model "gpt" :timeout})
