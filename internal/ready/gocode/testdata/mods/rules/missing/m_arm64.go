package missing

import _ "example.com/rules/nosuchpackage"
