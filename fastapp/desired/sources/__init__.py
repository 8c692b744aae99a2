"""Source texts of the desired side: for an expression whose text as the server prints it is
not what the server stores when that text is written again, the text that is (one module per
backend that needs it)."""
