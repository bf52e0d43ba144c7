// End-to-end tests of the proxy module against the real configurable-http-proxy (the cases are shared
// with `tshub proxy`, in proxy-suite.ts).
import { proxySuite } from './proxy-suite.ts';

proxySuite('chp');
