// Placeholder: the web client is written on its own branch.
"use strict";
