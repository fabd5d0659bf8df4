// Package sessionpage reads one page of Userflow's session list, the
// stream that moves most rows, as fast as the walk can fetch it: the
// cursor and the last item from the body's ends (ListEnds), so that the
// next request goes out at once, then the whole page in one pass by a
// decoder specialised to its shape (DecodeList), held to encoding/json's
// reading of the page by differential and fuzz tests. Strings share the
// body's memory, so the body is read into a recycled buffer that comes
// back only once the engine has built every row pointing into it
// (Page.Hold). Outside tests, this is the one package that uses unsafe.
package sessionpage
