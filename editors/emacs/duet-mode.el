;;; duet-mode.el --- Major mode for the Duet workflow language  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: languages, lisp

;; This file is not part of GNU Emacs.

;;; Commentary:

;; Duet is a Lisp for orchestrating LLM agents as durable workflows.
;; This mode provides:
;;
;; - a syntax table for `;' line comments, nestable `#| ... |#' block
;;   comments, `[...]' vectors and `{...}' maps, and `#;' datum
;;   comments (the `#;' is a prefix, so the commented datum still
;;   moves and indents as one expression);
;; - font-lock for special forms, workflow forms, effects, builtins,
;;   definition names, keywords, pattern variables, numbers,
;;   constants, quote prefixes, string escapes and datum comments;
;; - indentation that follows the `duet fmt' rules (cljfmt style), see
;;   `duet-indent-function';
;; - `eglot' support: the `duet lsp' language server is registered for
;;   `duet-mode' once eglot is loaded.
;;
;; Files ending in .duet open in `duet-mode'.  Duet programs usually end
;; in .lisp, which is too generic to claim globally; to use this mode
;; for them, add for instance
;;
;;   (add-to-list 'auto-mode-alist '("/workflows/.*\\.lisp\\'" . duet-mode))
;;
;; or put `-*- mode: duet -*-' on the first line of the file, or a
;; `.dir-locals.el' with ((lisp-mode . ((mode . duet)))) in the project.

;;; Code:

(require 'lisp-mode)

(defgroup duet nil
  "Major mode for the Duet workflow language."
  :group 'languages
  :prefix "duet-")

;;;; Faces

(defface duet-keyword-face
  '((t :inherit font-lock-constant-face))
  "Face for keywords such as `:agent-kind'."
  :group 'duet)

(defface duet-number-face
  '((t :inherit font-lock-constant-face))
  "Face for integer and float literals."
  :group 'duet)

(defface duet-pattern-variable-face
  '((t :inherit font-lock-variable-name-face))
  "Face for pattern variables such as `?reply' and the wildcard `_'."
  :group 'duet)

(defface duet-quote-face
  '((t :inherit font-lock-preprocessor-face))
  "Face for the quote, quasiquote and unquote prefixes."
  :group 'duet)

(defface duet-string-escape-face
  '((t :inherit font-lock-regexp-grouping-backslash))
  "Face for escape sequences in strings."
  :group 'duet)

;;;; Vocabulary

;; BEGIN GENERATED VOCABULARY: `DUET_BLESS=1 cargo test --test editor_vocabulary`
(defconst duet-special-forms
  '("and" "case" "catch" "cond" "def" "defmacro" "defn" "do" "error" "finally"
    "fn" "gensym" "if" "import" "let" "loop" "match" "or" "quasiquote" "quote"
    "recur" "set!" "throw" "try" "unless" "unquote" "unquote-splicing" "when")
  "Core special forms of Duet.")

(defconst duet-workflow-forms
  '("action" "assert" "await" "capabilities" "enter" "goto" "isolated"
    "on-asserted" "on-message" "on-retracted" "parallel" "race" "record"
    "retract" "roles" "send!" "spawn" "state" "stop" "terminal" "workflow")
  "Workflow, dataspace and concurrency forms of Duet.")

(defconst duet-effect-forms
  '("adopt" "ask-user" "attempt-diff" "list-files" "now" "poll" "prompt"
    "random-int" "read-file" "shell" "sleep" "sleep-until" "uuid"
    "write-file")
  "Effects: forms whose result comes from outside and is journaled.")

(defconst duet-builtins
  '("*" "+" "-" "/" "<" "<=" "=" "==" ">" ">=" "abs" "apply" "assoc"
    "attempt-files" "attempt-value" "boolean?" "concat" "conj" "cons"
    "contains?" "conversation" "count" "dec" "dissoc" "empty?" "ends-with?"
    "even?" "field" "fields" "filter" "first" "float?" "fn?" "forget" "format"
    "get" "hash-map" "inc" "includes?" "int?" "join" "json-decode"
    "json-encode" "keys" "keyword?" "label" "list" "list?" "log" "lower" "map"
    "map?" "max" "min" "mod" "neg?" "nil?" "not" "nth" "number?" "odd?" "pos?"
    "print" "println" "quot" "range" "record?" "reduce" "replace" "rest"
    "reverse" "sort" "sort-by" "split" "starts-with?" "str" "string?" "subs"
    "symbol?" "trim" "type-of" "upper" "vals" "vector" "vector?" "zero?")
  "Functions of the Duet prelude.")
;; END GENERATED VOCABULARY

;;;; Syntax

(defvar duet-mode-syntax-table
  (let ((table (make-syntax-table lisp-data-mode-syntax-table)))
    ;; `#|' ... `|#' nested block comments (style b, nestable), as in
    ;; `lisp-mode', but `|' is otherwise an ordinary symbol character.
    (modify-syntax-entry ?# "' 14" table)
    (modify-syntax-entry ?| "_ 23bn" table)
    (modify-syntax-entry ?\[ "(]" table)
    (modify-syntax-entry ?\] ")[" table)
    (modify-syntax-entry ?\{ "(}" table)
    (modify-syntax-entry ?\} "){" table)
    ;; `?x' is a pattern variable, so `?' is a plain symbol character
    ;; (Emacs Lisp makes it a prefix for character literals).
    (modify-syntax-entry ?? "_" table)
    table)
  "Syntax table for `duet-mode'.")

(defun duet--syntax-propertize (start end)
  "Give the `;' of `#;' datum comments prefix syntax between START and END.
Without this the `;' would start a line comment; with it, `#;' is a
prefix like a quote and the commented datum stays one expression."
  (goto-char start)
  (while (re-search-forward "#;" end t)
    (let ((hash (match-beginning 0)))
      (unless (or (eq (char-before hash) ?|)       ; `|#' closing a block comment
                  (nth 8 (save-excursion (syntax-ppss hash))))
        (put-text-property (1+ hash) (+ 2 hash)
                           'syntax-table (string-to-syntax "'"))))))

;;;; Font lock

(defun duet--match-datum-comment (limit)
  "Font-lock matcher for a `#;' datum comment starting before LIMIT.
Sets the match data to the `#;' and the datum after it."
  (let (found)
    (while (and (not found) (re-search-forward "#;" limit t))
      (let ((start (match-beginning 0)))
        (unless (or (eq (char-before start) ?|)
                    (nth 8 (save-excursion (syntax-ppss start))))
          (syntax-propertize (point-max))
          (let ((end (condition-case nil
                         (save-excursion (forward-sexp 1) (point))
                       (scan-error nil))))
            (when end
              (set-match-data (list start end))
              (goto-char end)
              (setq found t))))))
    found))

(defun duet--match-string-escape (limit)
  "Font-lock matcher for an escape sequence inside a string before LIMIT."
  (let (found)
    (while (and (not found)
                (re-search-forward
                 "\\\\\\(?:[ntr\\\"]\\|u{[0-9A-Fa-f]\\{1,6\\}}\\)" limit t))
      (when (nth 3 (save-excursion (syntax-ppss (match-beginning 0))))
        (setq found t)))
    found))

(defun duet--extend-region-to-toplevel ()
  "Extend the font-lock region to the start of the enclosing top-level form.
A multi-line `#;' datum comment is then always seen from its `#;'."
  (defvar font-lock-beg)
  (let ((outer (car (nth 9 (save-excursion (syntax-ppss font-lock-beg))))))
    (when (and outer (< outer font-lock-beg))
      (setq font-lock-beg (save-excursion (goto-char outer)
                                          (line-beginning-position)))
      t)))

(defconst duet--symbol-chars "\\(?:\\sw\\|\\s_\\)+"
  "Regexp for the characters of a symbol.")

(defconst duet-font-lock-keywords
  `(;; `#;' datum comments win over everything inside them.
    (duet--match-datum-comment (0 font-lock-comment-face t))
    ;; Definitions and their names.
    (,(concat "(\\(defn\\|defmacro\\)\\_>[ \t]+\\(" duet--symbol-chars "\\)")
     (1 font-lock-keyword-face) (2 font-lock-function-name-face))
    (,(concat "(\\(def\\)\\_>[ \t]+\\(" duet--symbol-chars "\\)")
     (1 font-lock-keyword-face) (2 font-lock-variable-name-face))
    (,(concat "(\\(workflow\\)\\_>[ \t]+\\(" duet--symbol-chars "\\)")
     (1 font-lock-keyword-face) (2 font-lock-type-face))
    (,(concat "(\\(state\\)\\_>[ \t]+\\(" duet--symbol-chars "\\)")
     (1 font-lock-keyword-face) (2 font-lock-function-name-face))
    ;; Special forms, workflow forms and effects in head position.
    (,(concat "(" (regexp-opt (append duet-special-forms duet-workflow-forms
                                      duet-effect-forms)
                              'symbols))
     (1 font-lock-keyword-face))
    ;; Prelude functions in head position.
    (,(concat "(" (regexp-opt duet-builtins 'symbols))
     (1 font-lock-builtin-face))
    ;; Literals.
    ("\\_<\\(?:true\\|false\\|nil\\)\\_>" . font-lock-constant-face)
    ("\\_<-?[0-9]+\\(?:\\.[0-9]+\\)?\\(?:[eE][-+]?[0-9]+\\)?\\_>"
     . 'duet-number-face)
    (,(concat "\\_<:" duet--symbol-chars) . 'duet-keyword-face)
    (,(concat "\\_<\\?" duet--symbol-chars) . 'duet-pattern-variable-face)
    ("\\_<_\\_>" . 'duet-pattern-variable-face)
    (",@\\|[',`]" . 'duet-quote-face)
    (duet--match-string-escape (0 'duet-string-escape-face prepend)))
  "Font-lock keywords for `duet-mode'.")

;;;; Indentation

;; The rules are those of `duet fmt' (see the module documentation of
;; lang/src/format in the Duet sources); the editor only fixes the
;; indentation of the lines it is given, `duet fmt' also breaks long lines.
;; The indentation of a form is looked up in the `duet-indent-function'
;; property of its head symbol, which takes the same kind of values as
;; Emacs Lisp's `lisp-indent-function' property (kept separate so that
;; Emacs Lisp's own `loop', `case', `let' etc. are not affected):
;;
;;   `defun'  "inner 0": every line after the head's is indented 2 from
;;            the paren.
;;   N        "block N": indented 2 from the paren, unless the head's
;;            line holds more than the N special arguments: then the form
;;            is indented as a call (under the first argument).
;;   FUNCTION called with (INDENT-POINT STATE), as for Emacs Lisp.
;;
;; Any other call aligns its arguments under the first argument when that
;; is on the head's line, and 1 column in from the paren otherwise.
;; Vectors, maps and quoted data align their elements under the first.
;; In `cond' (after the head), `case' and `match' (after the value), in
;; maps, and in the binding vectors of `let' and `loop', forms come in
;; pairs: the second of a pair that starts its own line is indented 2
;; more.  Comments (`;', `#| |#' and `#;' datum comments) are not forms:
;; they do not count as arguments.  Only the rules of `duet fmt' are set
;; here; rules you add for your own macros are unknown to `duet fmt'.

(defun duet--put-indent (spec &rest symbols)
  "Set the `duet-indent-function' property of SYMBOLS to SPEC."
  (dolist (sym symbols)
    (put sym 'duet-indent-function spec)))

(duet--put-indent 'defun 'defn 'defmacro 'fn 'workflow 'state)
(duet--put-indent 1 'let 'loop 'when 'unless 'if 'match 'case 'catch
                  'on-asserted 'on-retracted 'on-message 'def)
(duet--put-indent 0 'do 'try 'finally 'cond 'enter 'action 'spawn
                  'parallel 'race 'roles 'capabilities)

;; Forms whose arguments after the special ones come in pairs.
(dolist (sym '(cond case match))
  (put sym 'duet-indent-pairs t))

;; Forms whose first argument, when a vector, holds name/value pairs.
(dolist (sym '(let loop))
  (put sym 'duet-indent-bindings t))

;; `(defn name "doc" [params] ...)': the string in position 2 is a docstring.
(put 'defn 'duet-doc-string-elt 2)

(defun duet--head-property (name prop)
  "Return property PROP of the head symbol named NAME, or nil."
  (let ((sym (and name (intern-soft name))))
    (and sym (get sym prop))))

(defun duet--column-at (pos)
  "Return the column of POS."
  (save-excursion (goto-char pos) (current-column)))

(defun duet--same-line-p (a b)
  "Return non-nil if positions A and B are on the same line."
  (save-excursion
    (= (progn (goto-char a) (line-beginning-position))
       (progn (goto-char b) (line-beginning-position)))))

(defun duet--scan (open limit)
  "Scan the elements of the form opened at OPEN that start before LIMIT.
Return (FORMS HEAD-LINE).  FORMS are the start positions of its forms
in order; comments, including `#;' datum comments, are not forms.
HEAD-LINE is how many forms share the opener's line as `duet fmt'
counts them: the forms before the first line break between two elements
\(line breaks inside a form, string or comment do not count)."
  (save-excursion
    (syntax-propertize (min (point-max) (max limit (line-end-position 2))))
    (goto-char (1+ open))
    (let ((forms nil) (head-line 0) (broken nil) (first t))
      (condition-case nil
          (while (let ((newline nil))
                   ;; The whitespace before the next element.
                   (while (progn (skip-chars-forward " \t\f")
                                 (eq (char-after) ?\n))
                     (setq newline t)
                     (forward-char 1))
                   (when (and (< (point) limit)
                              (not (eobp))
                              (not (eq (char-syntax (char-after)) ?\))))
                     (let ((form (not (or (looking-at-p "#[;|]")
                                          (eq (char-after) ?\;)))))
                       ;; A line break right after the opener counts
                       ;; only before a comment (`duet fmt' drops it
                       ;; before a form).
                       (when (and newline (not (and first form)))
                         (setq broken t))
                       (setq first nil)
                       (cond
                        ((eq (char-after) ?\;) (end-of-line))
                        ((looking-at-p "#|") (forward-comment 1))
                        ;; `#;': the prefix and the datum after it.
                        ((looking-at-p "#;") (forward-sexp 1))
                        (t
                         (push (point) forms)
                         (unless broken (setq head-line (1+ head-line)))
                         (forward-sexp 1)))
                       t))))
        (scan-error nil))
      (list (nreverse forms) head-line))))

(defun duet--head-name (form)
  "Return the name of the symbol starting at FORM, or nil."
  (save-excursion
    (goto-char form)
    (and (looking-at duet--symbol-chars)
         (match-string-no-properties 0))))

(defun duet--chain-start (open)
  "Return where the prefix chain before the bracket at OPEN starts."
  (save-excursion
    (goto-char open)
    (skip-chars-backward "'`,@")
    (point)))

(defun duet--quote-prefixed-p (open)
  "Return non-nil if a `'' is among the prefixes of the form opened at OPEN."
  (let ((start (duet--chain-start open)))
    (and (< start open)
         (string-match-p "'" (buffer-substring-no-properties start open)))))

(defun duet--form-index (parent open)
  "Return the index of the form opened at OPEN among the forms of PARENT."
  (length (car (duet--scan parent (duet--chain-start open)))))

(defun duet--context (open)
  "Return the context `duet fmt' lays out the form opened at OPEN in.
The result is `data' inside quoted data (after `'', or an argument of
`quote', at any depth), `bindings' for the binding vector of `let' or
`loop', and nil otherwise."
  (let ((opens (append (nth 9 (save-excursion (syntax-ppss open)))
                       (list open)))
        (parent nil)
        (context nil))
    (dolist (o opens)
      (unless (eq context 'data)
        (let* ((parent-forms (and parent (eq (char-after parent) ?\()
                                  (car (duet--scan parent
                                                   (duet--chain-start o)))))
               (parent-head (and parent-forms
                                 (duet--head-name (car parent-forms))))
               (index (length parent-forms)))
          (setq context
                (cond ((duet--quote-prefixed-p o) 'data)
                      ((and (equal parent-head "quote") (> index 0)) 'data)
                      ((and (eq (char-after o) ?\[) (= index 1)
                            (duet--head-property parent-head
                                                 'duet-indent-bindings))
                       'bindings)))))
      (setq parent o))
    context))

(defun duet--pair-second-p (from k)
  "Return non-nil if form K is the second of a pair in pairs from FROM."
  (and from (> k from) (= (% (- k from) 2) 1)))

(defun duet-indent-function (indent-point state)
  "Compute the indentation of the line at INDENT-POINT for `duet-mode'.
STATE is the `parse-partial-sexp' state at INDENT-POINT.  This is the
value of `lisp-indent-function' in Duet buffers; it always returns a
list (COLUMN CONTAINING-SEXP-START) so that no column is reused for the
following lines."
  (let* ((open (nth 1 state))
         (open-col (duet--column-at open))
         (scan (duet--scan open indent-point))
         (forms (car scan))
         (head-line (cadr scan))
         (k (length forms))             ; index of the form being indented
         (head (car forms))
         (context (duet--context open))
         (col
          (cond
           ((= k 0) (1+ open-col))
           ;; Maps, binding vectors, vectors and quoted data: under the
           ;; first element; in maps and binding vectors the second of a
           ;; pair 2 more.
           ((or (memq (char-after open) '(?\[ ?\{)) (eq context 'data))
            (+ (if (duet--same-line-p open head)
                   (duet--column-at head)
                 (1+ open-col))
               (if (and (or (eq (char-after open) ?\{) (eq context 'bindings))
                        (duet--pair-second-p 0 k))
                   2 0)))
           (t
            (let* ((name (duet--head-name head))
                   (spec (duet--head-property name 'duet-indent-function))
                   ;; A call: under the first argument when it is on the
                   ;; head's line, else 1 in from the paren.
                   (call-col (if (and (>= head-line 2) (>= k 2))
                                 (duet--column-at (nth 1 forms))
                               (1+ open-col))))
              (cond
               ((eq spec 'defun) (+ open-col lisp-body-indent))
               ((integerp spec)
                (+ (if (>= head-line (+ spec 2))
                       call-col
                     (+ open-col lisp-body-indent))
                   (if (and (duet--head-property name 'duet-indent-pairs)
                            (duet--pair-second-p (1+ spec) k))
                       2 0)))
               ((functionp spec)
                (let ((v (save-excursion (funcall spec indent-point state))))
                  (cond ((integerp v) v)
                        ((consp v) (car v))
                        (t call-col))))
               (t call-col)))))))
    (list col open)))

(defun duet-indent-line ()
  "Indent the current line as Duet code.
Lines inside strings and block comments are left alone; comment lines
are indented like the code around them."
  (interactive)
  (let* ((bol (line-beginning-position))
         (ppss (save-excursion (syntax-ppss bol)))
         (offset (- (current-column) (current-indentation))))
    (unless (or (nth 3 ppss)                 ; inside a string
                (and (nth 4 ppss)            ; inside a block comment
                     (< (nth 8 ppss) bol)))
      (let ((indent (save-excursion
                      (beginning-of-line)
                      (calculate-lisp-indent (lisp-ppss)))))
        (when (consp indent) (setq indent (car indent)))
        (when (integerp indent)
          (indent-line-to indent)
          (when (> offset 0) (forward-char offset)))))))

;;;; Mode

(defvar duet-imenu-generic-expression
  `(("Functions" ,(concat "^\\s-*(\\(?:defn\\|defmacro\\)\\s-+\\("
                          duet--symbol-chars "\\)")
     1)
    ("Variables" ,(concat "^\\s-*(def\\s-+\\(" duet--symbol-chars "\\)") 1)
    ("Workflows" ,(concat "^\\s-*(workflow\\s-+\\(" duet--symbol-chars "\\)") 1)
    ("States" ,(concat "^\\s-*(state\\s-+\\(" duet--symbol-chars "\\)") 1))
  "Imenu entries for `duet-mode'.")

;;;###autoload
(define-derived-mode duet-mode lisp-data-mode "Duet"
  "Major mode for editing Duet workflow programs.

\\{duet-mode-map}"
  :syntax-table duet-mode-syntax-table
  :group 'duet
  (setq-local syntax-propertize-function #'duet--syntax-propertize)
  (setq-local lisp-indent-function #'duet-indent-function)
  (setq-local indent-line-function #'duet-indent-line)
  ;; `lisp-indent-region' would bypass `duet-indent-line'.
  (setq-local indent-region-function nil)
  ;; `duet fmt' indents with spaces only.
  (setq-local indent-tabs-mode nil)
  (setq-local lisp-doc-string-elt-property 'duet-doc-string-elt)
  (setq-local comment-start "; ")
  (setq-local comment-start-skip ";+ *\\|#|+ *")
  (setq-local comment-end "")
  (setq-local comment-add 1)
  (setq-local imenu-generic-expression duet-imenu-generic-expression)
  (setq-local font-lock-defaults
              '(duet-font-lock-keywords
                nil nil nil nil
                (font-lock-multiline . t)
                (font-lock-extra-managed-props help-echo)
                (font-lock-syntactic-face-function
                 . lisp-font-lock-syntactic-face-function)))
  (add-hook 'font-lock-extend-region-functions
            #'duet--extend-region-to-toplevel nil t))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.duet\\'" . duet-mode))

;;;###autoload
(with-eval-after-load 'eglot
  (defvar eglot-server-programs)
  (add-to-list 'eglot-server-programs '(duet-mode "duet" "lsp")))

(provide 'duet-mode)

;;; duet-mode.el ends here
