# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Compiled fast path of the 835 reader: `pure835.py` is the reference implementation.

`Parser.feed` reads the segments of one tokenizer chunk (located in the chunk's text by
`split_segments`, or a list of str) with C-level scanning: it finds the element boundaries
itself and creates Python objects only for what the Structs keep (short codes and dates come
from small caches; plain amounts in whole cents are built as Decimal objects directly, anything
else by the pure reader's `_M` (money: ASCII digits, whole cents, below 2^63 cents) or `_Q`). It builds the same msgspec Structs as `pure835.PureParser`, in
the same order, and reports the same balancing problems through the same helpers. Balancing
is checked in exact 128-bit integers (amounts scaled by 10**6); only a sum that does not
balance is redone in `Decimal`, to word the problem exactly as the pure reader does.

The envelope, header and rare segments (ST/SE, BPR, TRN, N1, LX, PLB, MIA, unusual CAS/NM1/
MOA shapes, header REF) go through the pure reader's helpers on the split segment.

It never words an error itself. Anything it does not handle, and any failure (a bad amount or
date, a segment out of place, an envelope error, a number outside what the integer balancing
can hold exactly) raises; the driver (`reader835._read_fast`) then hands the file over to the
pure reader from just after the last transaction set yielded, which reads it from there and
raises its located `X12Error` (or, for valid but unusual input, reads it to the end).
"""

cimport cython
from cpython.datetime cimport date_new, import_datetime
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.stdint cimport uint64_t
from libc.string cimport memchr

from gateway.core.x12 import balance835 as _balance835
from gateway.core.x12 import segments835 as _segments
from gateway.core.x12 import values835 as _values
from gateway.core.x12.model835 import (
    ZERO,
    Adjustment,
    Amount,
    ClaimPayment,
    OutpatientAdjudication,
    Party,
    Reference,
    Remark,
    ServiceLine,
)
from gateway.core.x12.tokenizer import ENVELOPE_IDS, check_segment_id

import_datetime()

cdef extern from *:
    # gcc's 128-bit integer: the balancing sums (Cython treats it as a long long)
    ctypedef long long i128 "__int128"

cdef extern from *:
    """
    /* A Decimal built directly, as _decimal's PyDecType_New + mpd_qset_string would build it
       for a plain amount: CPython 3.11's _decimal has no C API, and create_decimal(str) costs
       a string, an argument tuple and a parse per amount. The layout (PyDecObject, mpd_t of
       libmpdec 2.5 on 64-bit) is checked at import: Decimal.__basicsize__ and a self-test
       against create_decimal; on any mismatch the module uses create_decimal instead. */
    typedef struct {
        uint8_t flags; Py_ssize_t exp; Py_ssize_t digits; Py_ssize_t len; Py_ssize_t alloc;
        uint64_t *data;
    } gw_mpd_t;
    typedef struct { PyObject_HEAD Py_hash_t hash; gw_mpd_t dec; uint64_t data[4]; } gw_dec_t;

    static PyObject *gw_decimal(PyObject *type, int neg, uint64_t coeff, Py_ssize_t exp) {
        gw_dec_t *d = PyObject_New(gw_dec_t, (PyTypeObject *)type);
        Py_ssize_t digits = 1;
        uint64_t c = coeff;
        if (d == NULL) return NULL;
        while (c >= 10) { c /= 10; digits++; }
        d->hash = -1;
        d->dec.flags = 16 | 32 | (neg ? 1 : 0);  /* MPD_STATIC | MPD_STATIC_DATA | MPD_NEG */
        d->dec.exp = exp;
        d->dec.digits = digits;
        d->dec.len = 1;
        d->dec.alloc = 4;
        d->dec.data = d->data;
        d->data[0] = coeff;  /* < 10**18: one limb (MPD_RADIX is 10**19) */
        return (PyObject *)d;
    }
    """
    Py_ssize_t GW_DEC_SIZE "sizeof(gw_dec_t)"
    object gw_decimal(object type, int neg, uint64_t coeff, Py_ssize_t exp)

cdef extern from "string.h":
    void* memmem(const void*, size_t, const void*, size_t)  # GNU (Python.h sets _GNU_SOURCE)

cdef extern from "Python.h":
    enum: PyUnicode_1BYTE_KIND
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    const char* PyUnicode_AsUTF8AndSize(object, Py_ssize_t*) except NULL
    object PyUnicode_DecodeUTF8(const char*, Py_ssize_t, const char*)
    object PyUnicode_FromKindAndData(int, const void*, Py_ssize_t)


# The Structs are built with every field positional, in declaration order.
_CLAIM_FIELDS = (
    "patient_control_number", "status_code", "charge", "paid", "patient_responsibility",
    "filing_indicator", "payer_claim_number", "facility_type", "frequency_code", "drg_code",
    "drg_weight", "discharge_fraction", "adjustments", "patient", "insured",
    "corrected_patient", "rendering_provider", "crossover_carrier", "corrected_priority_payer",
    "other_parties", "inpatient", "outpatient", "statement_start", "statement_end",
    "received_date", "coverage_expiration", "amounts", "references", "lines", "header_number",
    "segment",
)
_LINE_FIELDS = (
    "procedure_qualifier", "procedure_code", "modifiers", "charge", "paid", "revenue_code",
    "units", "segment", "original_procedure_qualifier", "original_procedure_code",
    "original_modifiers", "original_units", "service_date", "service_start", "service_end",
    "adjustments", "control_number", "location_number", "references", "allowed", "amounts",
    "remarks",
)
if (ClaimPayment.__struct_fields__ != _CLAIM_FIELDS
        or ServiceLine.__struct_fields__ != _LINE_FIELDS):
    raise ImportError("model835 changed: update the positional Structs in _fast835.pyx")


class Unhandled(Exception):
    """Something the compiled reader leaves to the pure reader (see the module docstring)."""


cdef object _D = _values._D
cdef object _M = _values._M
cdef object _Q = _values._Q
cdef object _date = _values._date
cdef object _cas = _segments._cas
cdef object _moa = _segments._moa
cdef object _mia = _segments._mia
cdef object _plb = _segments._plb
cdef object _trn = _segments._trn
cdef object _remittance = _segments._remittance
cdef object _header_ref = _segments._header_ref
cdef object _header_party = _segments._header_party
cdef object _claim_party = _segments._claim_party
cdef object _line_problem = _balance835._line_problem
cdef object _claim_problem = _balance835._claim_problem
cdef object _balance = _balance835._balance
cdef object _ZERO = ZERO
cdef object _Adj = Adjustment
cdef object _Line = ServiceLine
cdef object _Claim = ClaimPayment
cdef object _Party = Party
cdef object _Ref = Reference
cdef object _Amount = Amount
cdef object _Remark = Remark
cdef object _Outpatient = OutpatientAdjudication
cdef object _ENVELOPE = ENVELOPE_IDS
cdef object _EMPTY = ""
cdef object _NOTHING = ()

cdef enum:
    MAXE = 64  # elements located per segment (hot segments use the first 14)
    SCALE = 6  # balancing integers are amounts * 10**SCALE
    MAX_INT_DIGITS = 12  # larger amounts go to the pure reader
    MAX_AMOUNTS = 10000000  # per transaction: keeps every Decimal sum exact at 28 digits

cdef i128 _POW10[SCALE + 1]
_POW10[:] = [1, 10, 100, 1000, 10000, 100000, 1000000]


# -- short codes: a direct-mapped cache of str objects (CO, 45, HC, 92014, 6R, MA01...) ------

cdef enum:
    CODE_SLOTS = 2048

cdef uint64_t _code_keys[CODE_SLOTS]
cdef uint64_t _GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing
cdef PyObject* _code_values[CODE_SLOTS]


# -- dates: a direct-mapped cache of datetime.date by CCYYMMDD ------------------------------

cdef enum:
    DATE_SLOTS = 512

cdef long _date_keys[DATE_SLOTS]
cdef PyObject* _date_values[DATE_SLOTS]


cdef inline bint _eq2(const unsigned char* p, Py_ssize_t n, char a, char b) noexcept:
    return n == 2 and p[0] == a and p[1] == b


cdef inline bint _eq3(const unsigned char* p, Py_ssize_t n, char a, char b, char c) noexcept:
    return n == 3 and p[0] == a and p[1] == b and p[2] == c


@cython.final
cdef class Parser:
    """The state of one file's reading, fed chunk by chunk by `reader835._read_fast`."""

    cdef object env, file, known, sep_s, comp_s
    cdef unsigned char sep, comp
    # the segment being read: its bytes (latin-1, or UTF-8 when `utf8`), its elements, and
    # where its str is (`raw`, or made from `segs` item `k` when a cold path needs it)
    cdef const unsigned char* p
    cdef bint utf8
    cdef object raw
    cdef Segments segs
    cdef Py_ssize_t k
    cdef Py_ssize_t ne, nall
    cdef Py_ssize_t st[MAXE]
    cdef Py_ssize_t en[MAXE]
    # the transaction set
    cdef object rem, claims, problems, notes, claim, cadjs, clines
    cdef object header_ctx, header_number, st_control
    cdef Py_ssize_t st_number
    cdef long long amounts
    cdef i128 bpr_amount, paid_sum, plb_sum, claim_charge, claim_paid, claim_adj
    # the open service line, built when it closes
    cdef bint in_line
    cdef Py_ssize_t l_seg
    cdef i128 l_charge_i, l_paid_i, l_adj
    cdef object l_qual, l_code, l_mods, l_charge, l_paid, l_rev, l_units, l_oq, l_oc, l_om
    cdef object l_ou, l_sd, l_ss, l_se, l_adjs, l_ctl, l_loc, l_refs, l_allowed, l_amts
    cdef object l_remarks
    cdef public Py_ssize_t next  # after feed returned a Remittance: the index after its SE
    # `x12 check`: no ServiceLine, line Adjustment or amount objects built (the claims come
    # out without lines); anything that does not balance is handed over to the pure reader,
    # which words it
    cdef public bint lean

    def __init__(self, env, file):
        self.env = env
        self.file = file
        self.known = set(ENVELOPE_IDS)
        self.header_ctx = self.header_number = self.st_control = _EMPTY

    def feed(self, segments, Py_ssize_t start, Py_ssize_t base, delims):
        """Read `segments[start:]` (a list of str, or `Segments`; the number of segments[i]
        is base + i + 1) until an SE closes a transaction set: return its Remittance (and
        set `next`), or None when the chunk is used up."""
        cdef Py_ssize_t k, count = len(segments)
        cdef Segments segs = None
        cdef list items = None
        self.sep_s = delims.element
        self.comp_s = delims.component
        self.sep = ord(self.sep_s)
        self.comp = ord(self.comp_s)
        if type(segments) is Segments:
            segs = <Segments>segments
        else:
            items = segments
        for k in range(start, count):
            if segs is not None:
                self.segs, self.k, self.raw = segs, k, None
                self._scan(segs.p + segs.bounds[2 * k],
                           segs.bounds[2 * k + 1] - segs.bounds[2 * k], False)
            else:
                self.raw = items[k]
                self._scan_str(self.raw)
            rem = self._segment(base + k + 1)
            if rem is not None:
                self.next = k + 1
                return rem
        self.next = count
        return None

    cdef object _segment(self, Py_ssize_t n):
        """Read the scanned segment (number n); returns the Remittance an SE closes."""
        cdef const unsigned char* p = self.p
        cdef Py_ssize_t n0 = self.en[0]
        cdef unsigned char c0 = p[0] if n0 else 0
        if self.rem is None and not self.env.in_transaction():
            return self._cold(n)  # between sets: the cold path hands it over (envelope check)
        if c0 == b'C' and _eq3(p, n0, b'C', b'A', b'S'):
            self._cas()
        elif c0 == b'D' and _eq3(p, n0, b'D', b'T', b'M'):
            self._dtm(n)
        elif c0 == b'S' and _eq3(p, n0, b'S', b'V', b'C'):
            self._svc(n)
        elif c0 == b'R' and _eq3(p, n0, b'R', b'E', b'F'):
            self._ref()
        elif c0 == b'A' and _eq3(p, n0, b'A', b'M', b'T'):
            self._amt()
        elif c0 == b'C' and _eq3(p, n0, b'C', b'L', b'P'):
            self._clp(n)
        elif c0 == b'N' and _eq3(p, n0, b'N', b'M', b'1'):
            self._nm1()
        elif c0 == b'M' and _eq3(p, n0, b'M', b'O', b'A'):
            self._moa()
        elif c0 == b'L' and _eq2(p, n0, b'L', b'Q'):
            if self.in_line:
                self._need(3)
                self.l_remarks += (_Remark(self._code(1), self._code(2)),)
        else:
            return self._cold(n)
        return None

    # -- the segment's elements ----------------------------------------------------------

    cdef int _scan_str(self, str raw) except -1:
        cdef Py_ssize_t n
        cdef const unsigned char* p
        if PyUnicode_KIND(raw) == PyUnicode_1BYTE_KIND:
            return self._scan(<const unsigned char*>PyUnicode_DATA(raw),
                              PyUnicode_GET_LENGTH(raw), False)
        # the separators are ASCII, so the UTF-8 bytes split the same way
        p = <const unsigned char*>PyUnicode_AsUTF8AndSize(raw, &n)
        return self._scan(p, n, True)

    cdef int _scan(self, const unsigned char* p, Py_ssize_t n, bint utf8) except -1:
        """Locate the elements of the segment p[:n] (the first MAXE; `nall` counts them)."""
        cdef Py_ssize_t i, s = 0, ne = 0
        cdef unsigned char sep = self.sep
        for i in range(n):
            if p[i] == sep:
                if ne < MAXE - 1:
                    self.st[ne] = s
                    self.en[ne] = i
                ne += 1
                s = i + 1
        if ne < MAXE:
            self.st[ne] = s
            self.en[ne] = n
        self.p = p
        self.utf8 = utf8
        self.nall = ne + 1
        self.ne = ne + 1 if ne < MAXE else MAXE - 1
        return 0

    cdef str _raw(self):
        """The segment as str (made from the chunk's text when it was not split out)."""
        if self.raw is None:
            self.raw = self.segs.item(self.k)
        return self.raw

    cdef inline int _need(self, Py_ssize_t count) except -1:
        """The pure reader indexes e[count - 1]: fewer elements is its IndexError."""
        if self.nall < count:
            raise Unhandled("too few elements")
        return 0

    cdef inline bint _has(self, Py_ssize_t i) noexcept:
        return i < self.ne and self.en[i] > self.st[i]

    cdef inline object _text(self, const unsigned char* p, Py_ssize_t n):
        if n == 0:
            return _EMPTY
        if self.utf8:
            return PyUnicode_DecodeUTF8(<const char*>p, n, NULL)
        return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, p, n)

    cdef inline object _str(self, Py_ssize_t i):
        """Element i as str ("" when absent: the pure reader pads)."""
        if i >= self.ne:
            return _EMPTY
        return self._text(self.p + self.st[i], self.en[i] - self.st[i])

    cdef object _code_text(self, const unsigned char* p, Py_ssize_t n):
        """A short code: shared str objects from a small cache (they repeat on every line)."""
        cdef uint64_t key
        cdef Py_ssize_t i
        cdef unsigned int slot
        if n == 0:
            return _EMPTY
        if n > 7:
            return self._text(p, n)
        key = <uint64_t>n
        for i in range(n):
            if p[i] >= 0x80:
                return self._text(p, n)
            key |= (<uint64_t>p[i]) << (8 * (i + 1))
        slot = <unsigned int>((key * _GOLDEN) >> 53) & (CODE_SLOTS - 1)
        if _code_keys[slot] == key:
            return <object>_code_values[slot]
        value = self._text(p, n)
        Py_INCREF(value)
        Py_XDECREF(_code_values[slot])
        _code_values[slot] = <PyObject*>value
        _code_keys[slot] = key
        return value

    cdef inline object _code(self, Py_ssize_t i):
        if i >= self.ne:
            return _EMPTY
        return self._code_text(self.p + self.st[i], self.en[i] - self.st[i])

    cdef object _components(self, Py_ssize_t i):
        """Element i split on the component separator: (first, second, tuple of the rest)."""
        cdef const unsigned char* p = self.p + self.st[i]
        cdef Py_ssize_t n = self.en[i] - self.st[i], j, s = 0, part = 0
        cdef unsigned char comp = self.comp
        first = second = _EMPTY
        rest = None
        for j in range(n + 1):
            if j == n or p[j] == comp:
                value = self._code_text(p + s, j - s)
                if part == 0:
                    first = value
                elif part == 1:
                    second = value
                else:
                    if rest is None:
                        rest = []
                    rest.append(value)
                part += 1
                s = j + 1
        return first, second, tuple(rest) if rest is not None else _NOTHING

    cdef object _decimal(self, Py_ssize_t i):
        """Element i as a number that is not money, exactly as the pure reader's `_Q` (it
        raises when not one)."""
        cdef Plain v
        if i >= self.nall:
            raise Unhandled("too few elements")
        if _DIRECT and i < self.ne and _plain(self.p + self.st[i], self.en[i] - self.st[i], &v):
            return gw_decimal(_Decimal, v.neg, v.coeff, -v.decimals)
        return _Q(self._str(i))

    cdef object _money(self, Py_ssize_t i):
        """Element i as an amount of money, exactly as the pure reader's `_M`: the plain form
        in whole cents here, anything else by `_M` (which refuses what is not money)."""
        cdef Plain v
        if i >= self.nall:
            raise Unhandled("too few elements")
        if (_DIRECT and i < self.ne and _plain(self.p + self.st[i], self.en[i] - self.st[i], &v)
                and v.decimals <= 2):
            return gw_decimal(_Decimal, v.neg, v.coeff, -v.decimals)
        return _M(self._str(i))

    cdef object _amount(self, Py_ssize_t i, i128* scaled):
        """A balanced amount: its Decimal and `scaled` = amount * 10**SCALE. Only the plain
        form in whole cents (-?digits[.digits], at most 12 integer and 2 decimal digits) is
        read here; the pure reader reads (or refuses) anything else."""
        cdef Plain v
        if i >= self.ne or not _plain(self.p + self.st[i], self.en[i] - self.st[i], &v):
            raise Unhandled("amount not in the plain form")
        if v.decimals > 2:
            raise Unhandled("amount finer than cents")
        self._count()
        scaled[0] = _scaled(&v)
        if self.lean:
            return None
        if _DIRECT:
            return gw_decimal(_Decimal, v.neg, v.coeff, -v.decimals)
        return _M(self._text(self.p + self.st[i], self.en[i] - self.st[i]))

    cdef inline int _count(self) except -1:
        self.amounts += 1
        if self.amounts > MAX_AMOUNTS:
            raise Unhandled("too many amounts in one transaction set")
        return 0

    cdef i128 _scaled_total(self, total) except? -1:
        """A Decimal total computed by a pure helper, as a balancing integer."""
        cdef Plain v
        cdef bytes text = str(total).encode("ascii")
        if not _plain(<const unsigned char*>text, len(text), &v):
            raise Unhandled("total not in the plain form")
        self._count()
        return _scaled(&v)

    cdef object _date_of(self, Py_ssize_t i):
        cdef const unsigned char* p = self.p + self.st[i]
        cdef Py_ssize_t j
        cdef long key = 0
        cdef unsigned int slot
        if self.en[i] - self.st[i] != 8:
            return _date(self._str(i))
        for j in range(8):
            if not (b'0' <= p[j] <= b'9'):
                return _date(self._str(i))  # raises, or reads other Unicode digits
            key = key * 10 + (p[j] - c'0')
        slot = <unsigned int>(key ^ (key >> 9)) & (DATE_SLOTS - 1)
        if _date_keys[slot] == key and _date_values[slot] != NULL:
            return <object>_date_values[slot]
        value = date_new(key // 10000, key // 100 % 100, key % 100)
        Py_INCREF(value)
        Py_XDECREF(_date_values[slot])
        _date_values[slot] = <PyObject*>value
        _date_keys[slot] = key
        return value

    cdef inline bint _el2(self, Py_ssize_t i, char a, char b) noexcept:
        return i < self.ne and _eq2(self.p + self.st[i], self.en[i] - self.st[i], a, b)

    cdef inline bint _el3(self, Py_ssize_t i, char a, char b, char c) noexcept:
        return i < self.ne and _eq3(self.p + self.st[i], self.en[i] - self.st[i], a, b, c)

    cdef list _split(self):
        return self._raw().split(self.sep_s)

    # -- hot segments (pure835.PureParser._HOT) --------------------------------------------

    cdef int _cas(self) except -1:
        cdef i128 a = 0, b = 0
        if self.in_line:
            if self.nall == 4:  # CAS*CO*45*12.34
                amount = self._amount(3, &a)
                if not self.lean:
                    self.l_adjs.append(_Adj(self._code(1), self._code(2), amount))
            elif self.nall == 7 and not self._has(4):  # CAS*CO*45*12.34**253*0.56
                amount = self._amount(3, &a)
                second = self._amount(6, &b)
                if self.lean:
                    self.l_adj += a + b
                    return 0
                group = self._code(1)
                self.l_adjs.append(_Adj(group, self._code(2), amount))
                self.l_adjs.append(_Adj(group, self._code(5), second))
                a += b
            else:
                a = self._scaled_total(_cas(self._split(), self.l_adjs))
            self.l_adj += a
        elif self.claim is not None:
            self.claim_adj += self._scaled_total(_cas(self._split(), self.cadjs))
        else:
            raise Unhandled("CAS outside a claim")
        return 0

    cdef int _dtm(self, Py_ssize_t n) except -1:
        self._need(3)
        d = self._date_of(2)
        if self.in_line:
            if self._el3(1, b'4', b'7', b'2'):
                self.l_sd = d
            elif self._el3(1, b'1', b'5', b'0'):
                self.l_ss = d
            elif self._el3(1, b'1', b'5', b'1'):
                self.l_se = d
        elif self.claim is not None:
            if self._el3(1, b'0', b'5', b'0'):
                self.claim.received_date = d
            elif self._el3(1, b'2', b'3', b'2'):
                self.claim.statement_start = d
            elif self._el3(1, b'2', b'3', b'3'):
                self.claim.statement_end = d
            elif self._el3(1, b'0', b'3', b'6'):
                self.claim.coverage_expiration = d
        elif self.rem is not None and self._el3(1, b'4', b'0', b'5'):
            self.rem.production_date = d
        return 0

    cdef int _svc(self, Py_ssize_t n) except -1:
        cdef i128 charge_i = 0, paid_i = 0
        if self.in_line:
            self._close_line()
        elif self.claim is None:
            raise Unhandled("SVC outside a claim")
        self._need(2)
        qual, code, mods = self._components(1)
        charge = self._amount(2, &charge_i)
        paid = self._amount(3, &paid_i)
        self.l_qual, self.l_code, self.l_mods = qual, code, mods
        self.l_charge, self.l_paid = charge, paid
        self.l_charge_i, self.l_paid_i = charge_i, paid_i
        self.l_rev = self._code(4)
        self.l_units = self._decimal(5) if self._has(5) else None
        if self._has(6):
            self.l_oq, self.l_oc, self.l_om = self._components(6)
        else:
            self.l_oq = self.l_oc = _EMPTY
            self.l_om = _NOTHING
        self.l_ou = self._decimal(7) if self._has(7) else None
        self.l_seg = n
        self.l_sd = self.l_ss = self.l_se = self.l_allowed = None
        self.l_adjs = []
        self.l_ctl = self.l_loc = _EMPTY
        self.l_refs = self.l_amts = self.l_remarks = _NOTHING
        self.l_adj = 0
        self.in_line = True
        return 0

    cdef int _close_line(self) except -1:
        if self.lean:
            self.in_line = False
            self.claim_adj += self.l_adj
            if self.l_charge_i - self.l_paid_i != self.l_adj:
                raise Unhandled("a line does not balance")
            return 0
        line = _Line(
            self.l_qual, self.l_code, self.l_mods, self.l_charge, self.l_paid, self.l_rev,
            self.l_units, self.l_seg, self.l_oq, self.l_oc, self.l_om, self.l_ou, self.l_sd,
            self.l_ss, self.l_se, self.l_adjs, self.l_ctl, self.l_loc, self.l_refs,
            self.l_allowed, self.l_amts, self.l_remarks,
        )
        self.in_line = False
        self.clines.append(line)
        self.claim_adj += self.l_adj
        if self.l_charge_i - self.l_paid_i != self.l_adj:
            _line_problem(self.problems, self.claim, line,
                          sum([a.amount for a in self.l_adjs], _ZERO), self.file)
        return 0

    cdef int _close_claim(self) except -1:
        if self.in_line:
            self._close_line()
        if self.claim_charge - self.claim_paid != self.claim_adj:
            if self.lean:
                raise Unhandled("a claim does not balance")
            _claim_problem(self.problems, self.claim, self.claim.adjustment_total(), self.file)
        self.claim = None
        return 0

    cdef int _ref(self) except -1:
        self._need(2)
        if self.in_line:
            self._need(3)
            if self._el2(1, b'6', b'R'):
                self.l_ctl = self._str(2)
            elif self._el2(1, b'L', b'U'):
                self.l_loc = self._str(2)
            else:
                self.l_refs += (_Ref(self._code(1), self._str(2)),)
        elif self.claim is not None:
            self._need(3)
            self.claim.references += (_Ref(self._code(1), self._str(2)),)
        elif self.rem is not None:
            self._need(3)
            _header_ref(self.rem, self.header_ctx, self._str(1), self._str(2))
        return 0

    cdef int _amt(self) except -1:
        if self.in_line:
            self._need(2)
            if self._el2(1, b'B', b'6'):
                self.l_allowed = self._money(2)
            else:
                self.l_amts += (_Amount(self._code(1), self._money(2)),)
        elif self.claim is not None:
            self._need(2)
            self.claim.amounts += (_Amount(self._code(1), self._money(2)),)
        return 0

    cdef int _clp(self, Py_ssize_t n) except -1:
        cdef i128 charge_i = 0, paid_i = 0
        if self.claim is not None:
            self._close_claim()
        elif self.rem is None:
            raise Unhandled("CLP before BPR")
        charge = self._amount(3, &charge_i)
        paid = self._amount(4, &paid_i)
        cadjs = []
        clines = []
        claim = _Claim(
            self._str(1), self._code(2), charge, paid,
            self._money(5) if self._has(5) else _ZERO,
            self._code(6), self._str(7), self._code(8), self._code(9), self._code(11),
            self._decimal(12) if self._has(12) else None,
            self._decimal(13) if self._has(13) else None,
            cadjs, None, None, None, None, None, None, _NOTHING, None, None, None, None, None,
            None, _NOTHING, _NOTHING, clines, self.header_number, n,
        )
        self.claim = claim
        self.cadjs = cadjs
        self.clines = clines
        self.claim_charge, self.claim_paid = charge_i, paid_i
        self.claim_adj = 0
        self.paid_sum += paid_i
        self.claims.append(claim)
        return 0

    cdef int _nm1(self) except -1:
        if self.claim is not None:
            self._need(2)
            if self.nall == 10 and self._el2(1, b'Q', b'C'):
                self.claim.patient = _Party(
                    self._code(1), self._str(3), self._str(4), self._str(5), self._str(7),
                    self._code(8), self._str(9), self._code(2),
                )
            else:
                _claim_party(self.claim, self._split())
        return 0

    cdef int _moa(self) except -1:
        if self.claim is not None:
            if self.nall == 4 and not self._has(1) and not self._has(2):  # MOA***MA01
                self.claim.outpatient = _Outpatient(None, None, [self._code(3)])
            else:
                self.claim.outpatient = _moa(self._split())
        return 0

    # -- cold path: envelope, header, PLB, rare claim segments ---------------------------

    cdef object _cold(self, Py_ssize_t n):
        """The pure reader's cold path; returns the Remittance an SE closes."""
        e = self._split()
        t = e[0]
        if t not in self.known:
            check_segment_id(t, n, self.file, self._raw())
            self.known.add(t)
        if t in _ENVELOPE:
            if t == "SE" and self.rem is not None and self.claim is not None:
                self._close_claim()
            self.env.on_segment(n, e)
            if t == "ST":
                if e[1] != "835":
                    raise Unhandled("not an 835")
                self.rem = None
                self.claims, self.problems, self.notes = [], [], []
                self.claim = None
                self.in_line = False
                self.paid_sum = self.plb_sum = 0
                self.amounts = 0
                self.header_ctx = self.header_number = _EMPTY
                self.st_number = n
                self.st_control = e[2]
            elif t == "SE":
                return self._finish(n)
            return None
        if not self.env.in_transaction():
            raise Unhandled("segment outside a transaction set")
        if t == "BPR":
            if self.rem is not None:
                raise Unhandled("a second BPR")
            self.rem = _remittance(e, self.env, self.st_control, self.st_number, n, self.notes)
            self.bpr_amount = self._scaled_total(self.rem.amount)
            return None
        if self.rem is None:
            raise Unhandled("BPR missing")
        if t == "LX" or t == "PLB":
            if self.claim is not None:
                self._close_claim()
            self.header_ctx = _EMPTY
            if t == "LX":
                self.header_number = e[1] if len(e) > 1 else _EMPTY
            else:
                self.plb_sum += self._scaled_total(_plb(self.rem, e, self.comp_s, n))
        elif t == "TRN":
            _trn(self.rem, e)
        elif t == "N1":
            self.header_ctx = e[1]
            _header_party(self.rem, e)
        elif t == "MIA" and self.claim is not None:
            self.claim.inpatient = _mia(e)
        return None

    cdef object _finish(self, Py_ssize_t n):
        """SE: the transaction set's Remittance, balanced at the payment level."""
        rem = self.rem
        if rem is None:
            raise Unhandled("no BPR")
        self.rem = None
        self.claim = None
        self.in_line = False
        rem.claims = self.claims
        rem.last_segment = n
        signed = self.bpr_amount if rem.credit_debit != "D" else -self.bpr_amount
        if signed != self.paid_sum - self.plb_sum:
            if self.lean:
                raise Unhandled("the payment does not balance")
            _balance(rem, rem.claim_paid_total(), rem.provider_adjustment_total(),
                     self.problems, self.file)
        rem.balanced = not self.problems
        rem.problems = self.problems + self.notes
        return rem


# -- chunks: segments located in the chunk's text ---------------------------------------------


@cython.final
cdef class Segments:
    """The segments of one chunk as (start, end) offsets into its text: a sequence of str
    (made on demand) for everything but `Parser.feed`, which reads them in place."""

    cdef str body
    cdef const unsigned char* p
    cdef Py_ssize_t count
    cdef Py_ssize_t* bounds  # start, end of each segment

    def __dealloc__(self):
        PyMem_Free(self.bounds)

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.item(i) for i in range(*index.indices(self.count))]
        i = index + self.count if index < 0 else index
        if not 0 <= i < self.count:
            raise IndexError("segment index out of range")
        return self.item(i)

    cdef str item(self, Py_ssize_t i):
        return self.body[self.bounds[2 * i]:self.bounds[2 * i + 1]]


cdef inline bint _blank(unsigned char c) noexcept:
    return c == 13 or c == 10 or c == 9 or c == 32  # the tokenizer's _WS


def split_segments(str body, str term, str joiner):
    """`Tokenizer._split(body, term)` as `Segments` when it takes its plain path: every
    terminator followed by the rest of `joiner`, and no segment empty nor (for the smallest)
    starting with a blank (its `min(segments)[:1] in _WS` test). None otherwise, and for text
    beyond Latin-1: the tokenizer's own split then does it."""
    cdef const unsigned char* p
    cdef const unsigned char* hit
    cdef Py_ssize_t n, i, count = 1, seg = 0, start = 0, jl = len(joiner)
    cdef unsigned char t, j1 = 0, j2 = 0, smallest = 255
    cdef bint empty = False
    cdef Segments out
    if PyUnicode_KIND(body) != PyUnicode_1BYTE_KIND or len(term) != 1 or not 1 <= jl <= 3:
        return None
    p = <const unsigned char*>PyUnicode_DATA(body)
    n = PyUnicode_GET_LENGTH(body)
    t = ord(term)
    if jl > 1:
        j1 = ord(joiner[1])
    if jl > 2:
        j2 = ord(joiner[2])
    hit = <const unsigned char*>memchr(p, t, n)
    while hit != NULL:
        count += 1
        i = hit - p + 1
        hit = <const unsigned char*>memchr(p + i, t, n - i)
    out = Segments.__new__(Segments)
    out.bounds = <Py_ssize_t*>PyMem_Malloc(2 * count * sizeof(Py_ssize_t))
    if out.bounds == NULL:
        raise MemoryError()
    out.body = body
    out.p = p
    out.count = count
    i = 0
    while i <= n:
        if i == n or p[i] == t:
            if i < n and jl > 1:  # the joiner's line break must follow every terminator
                if i + 1 >= n or p[i + 1] != j1 or (jl > 2 and (i + 2 >= n or p[i + 2] != j2)):
                    return None
            out.bounds[2 * seg] = start
            out.bounds[2 * seg + 1] = i
            if i == start:
                empty = True
            elif p[start] < smallest:
                smallest = p[start]
            seg += 1
            i += jl
            start = i
        else:
            i += 1
    if empty or _blank(smallest):
        return None
    return out


def find_segment(str body, str key, str term):
    """`tokenizer._find_segment` with memmem (Latin-1 text; None otherwise)."""
    cdef const unsigned char* p
    cdef const unsigned char* k
    cdef const unsigned char* hit
    cdef Py_ssize_t n, kn, at, start = 0
    cdef unsigned char t
    if (PyUnicode_KIND(body) != PyUnicode_1BYTE_KIND
            or PyUnicode_KIND(key) != PyUnicode_1BYTE_KIND or len(term) != 1):
        return None
    p = <const unsigned char*>PyUnicode_DATA(body)
    n = PyUnicode_GET_LENGTH(body)
    k = <const unsigned char*>PyUnicode_DATA(key)
    kn = PyUnicode_GET_LENGTH(key)
    t = ord(term)
    while True:
        hit = <const unsigned char*>memmem(p + start, n - start, k, kn)
        if hit == NULL:
            return -1
        at = hit - p
        if at == 0 or p[at - 1] == t or _blank(p[at - 1]):
            return at
        start = at + 1


cdef struct Plain:
    bint neg
    uint64_t coeff  # the digits as an integer (< 10**18)
    Py_ssize_t decimals


cdef bint _plain(const unsigned char* p, Py_ssize_t n, Plain* out) noexcept:
    """Parse -?(digits[.digits]|.digits) (the pure reader's _NUMBER, ASCII digits) with at
    most MAX_INT_DIGITS significant integer digits and SCALE decimals; false otherwise."""
    cdef Py_ssize_t i = 0, int_digits = 0, decimals = 0
    cdef bint neg = False, dot = False, digit = False
    cdef uint64_t value = 0
    cdef unsigned char c
    if n > 0 and p[0] == b'-':
        neg = True
        i = 1
    while i < n:
        c = p[i]
        if b'0' <= c <= b'9':
            digit = True
            if dot:
                decimals += 1
                if decimals > SCALE:
                    return False
            elif value != 0 or c != b'0':
                int_digits += 1
                if int_digits > MAX_INT_DIGITS:
                    return False
            value = value * 10 + (c - c'0')
        elif c == b'.' and not dot:
            dot = True
        else:
            return False
        i += 1
    if not digit:
        return False
    out.neg = neg
    out.coeff = value
    out.decimals = decimals
    return True


cdef inline i128 _scaled(Plain* v) noexcept:
    """The amount * 10**SCALE."""
    cdef i128 value = (<i128>v.coeff) * _POW10[SCALE - v.decimals]
    return -value if v.neg else value


# -- the direct Decimal build: used only when it is what create_decimal gives --------------

import decimal as _decimal_module

cdef object _Decimal = _decimal_module.Decimal
cdef bint _DIRECT = False


def _direct_decimals_agree():
    """Whether gw_decimal builds exactly create_decimal's Decimals on this interpreter."""
    cdef Plain v
    cdef bytes raw
    if _Decimal.__basicsize__ != GW_DEC_SIZE or type(_D("1")) is not _Decimal:
        return False
    for text in ("0", "-0", "0.00", "-0.00", "5", "5.", ".5", "-.5", "007.10", "12.34",
                 "-12.34", "100", "999999999999.999999", "-123456789012.000001", "0.000001"):
        raw = text.encode("ascii")
        if not _plain(raw, len(raw), &v):
            return False
        built = gw_decimal(_Decimal, v.neg, v.coeff, -v.decimals)
        expected = _D(text)
        if (str(built) != str(expected) or built.as_tuple() != expected.as_tuple()
                or hash(built) != hash(expected) or built + 1 != expected + 1
                or built * 3 != expected * 3 or built.is_signed() != expected.is_signed()):
            return False
    return True


_DIRECT = _direct_decimals_agree()
DIRECT_DECIMALS = _DIRECT  # for tests and the benchmark


# -- `era parse --json`: json835's objects, the claims written here as JSON ---------------------

cdef extern from *:
    """
    /* `money_text(v)` (v a Decimal of the layout above) written to `out` for its fast cases:
       finite, one limb, not negative zero ("-0.00" prints "0.00"), and two decimals (`str`
       as it is) or one or none with at most 12 digits (`str` and its zeros; longer ones go
       through `format_money`, which bounds them). Returns its length, or 0 when `money_text`
       must say it. */
    static Py_ssize_t gw_cents_text(PyObject *v, char *out) {
        gw_dec_t *d = (gw_dec_t *)v;
        char digits[24];
        uint64_t c;
        Py_ssize_t n = 0, k = 0, i, shift = d->dec.exp + 2;
        if ((d->dec.flags & (2 | 4 | 8)) || shift < 0 || shift > 2 || d->dec.len != 1) return 0;
        if (shift && d->dec.digits > 12) return 0;
        c = d->dec.data[0];
        if ((d->dec.flags & 1) && c == 0) return 0;
        c *= shift == 2 ? 100 : shift == 1 ? 10 : 1;
        do { digits[k++] = (char)('0' + c % 10); c /= 10; } while (c);
        while (k < 3) digits[k++] = '0';
        if (d->dec.flags & 1) out[n++] = '-';
        for (i = k - 1; i >= 2; i--) out[n++] = digits[i];
        out[n++] = '.';
        out[n++] = digits[1];
        out[n++] = digits[0];
        return n;
    }
    /* Whether `v` is a whole non-negative number of one limb ("1": `str` is its units). */
    static int gw_whole(PyObject *v) {
        gw_dec_t *d = (gw_dec_t *)v;
        return !(d->dec.flags & (1 | 2 | 4 | 8)) && d->dec.exp == 0 && d->dec.len == 1;
    }
    """
    Py_ssize_t gw_cents_text(object v, char* out)
    bint gw_whole(object v)

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Realloc
from libc.string cimport memcpy
from msgspec import Raw as _Raw
from msgspec.json import encode as _encode

from gateway.core.x12 import json835 as _json835

cdef object _money_text = _json835.money_text
cdef object _units_text = _json835._units


@cython.final
cdef class _JsonOut:
    """A growing buffer of compact JSON, written as msgspec writes it (so the bytes agree)."""

    cdef char* buf
    cdef Py_ssize_t n, cap

    def __dealloc__(self):
        PyMem_Free(self.buf)

    cdef int put(self, const char* p, Py_ssize_t k) except -1:
        cdef char* grown
        cdef Py_ssize_t cap = self.cap
        if self.n + k > cap:
            while self.n + k > cap:
                cap = cap * 2 if cap else 1 << 16
            grown = <char*>PyMem_Realloc(self.buf, cap)
            if grown == NULL:
                raise MemoryError()
            self.buf, self.cap = grown, cap
        memcpy(self.buf + self.n, p, k)
        self.n += k
        return 0

    cdef int text(self, object value) except -1:
        """A str as msgspec writes it: plain printable ASCII here, anything else by msgspec."""
        cdef const unsigned char* p
        cdef Py_ssize_t k, i
        cdef bytes encoded
        if type(value) is str and PyUnicode_KIND(value) == PyUnicode_1BYTE_KIND:
            p = <const unsigned char*>PyUnicode_DATA(value)
            k = PyUnicode_GET_LENGTH(value)
            for i in range(k):
                if p[i] < 0x20 or p[i] >= 0x7f or p[i] == 34 or p[i] == 92:
                    break
            else:
                self.put('"', 1)
                self.put(<const char*>p, k)
                return self.put('"', 1)
        encoded = _encode(value)
        return self.put(encoded, len(encoded))

    cdef int money(self, object value) except -1:
        cdef char out[32]
        cdef Py_ssize_t k = 0
        if _DIRECT and type(value) is _Decimal:
            k = gw_cents_text(value, out + 1)
        if k == 0:
            return self.text(_money_text(value))
        out[0] = 34
        out[k + 1] = 34
        return self.put(out, k + 2)

    cdef int units(self, object value) except -1:
        if value is None:
            return self.put("null", 4)
        if _DIRECT and type(value) is _Decimal and gw_whole(value):
            return self.text(str(value))
        return self.text(_units_text(value))

    cdef int codes(self, object values) except -1:
        if type(values) is not tuple and type(values) is not list:
            encoded = _encode(values)
            return self.put(encoded, len(encoded))
        return self.array(values, None)

    cdef int array(self, object items, tuple fields) except -1:
        """A JSON array of objects, each with `fields` (see `_CLAIM_JSON`), or of str."""
        cdef Py_ssize_t i = 0
        self.put("[", 1)
        for item in items:
            if i:
                self.put(",", 1)
            if fields is None:
                self.text(item)
            else:
                self.item(item, fields)
            i += 1
        return self.put("]", 1)

    cdef int item(self, object item, tuple fields) except -1:
        cdef bytes key
        cdef int kind
        for key, kind, name, nested in fields:
            self.put(key, len(key))
            value = getattr(item, name)
            if kind == _TEXT:
                self.text(value)
            elif kind == _MONEY:
                self.money(value)
            elif kind == _UNITS:
                self.units(value)
            elif kind == _CODES:
                self.codes(value)
            else:
                self.array(value, nested)
        return self.put("}", 1)

    cdef bytes value(self):
        return PyBytes_FromStringAndSize(self.buf, self.n)


cdef enum:
    _TEXT, _MONEY, _UNITS, _CODES, _ARRAY

def _shape(kinds, nested=()):
    """json835's shape of one object, field by field: (its key as written, how its value is
    written, the Struct attribute it comes from (the key's name), the shape of its items when
    it is an array of objects)."""
    inner = dict(nested)
    fields = []
    for name, kind in kinds.items():
        key = ("," if fields else "{") + '"' + name + '":'
        fields.append((key.encode(), kind, name, inner.get(name)))
    return tuple(fields)


_ADJUSTMENT_JSON = _shape({"group": _TEXT, "reason": _TEXT, "amount": _MONEY})
_LINE_JSON = _shape({"procedure_code": _TEXT, "modifiers": _CODES, "charge": _MONEY,
                     "paid": _MONEY, "units": _UNITS, "adjustments": _ARRAY},
                    {"adjustments": _ADJUSTMENT_JSON})
cdef tuple _CLAIM_JSON = _shape(
    {"patient_control_number": _TEXT, "status_code": _TEXT, "charge": _MONEY, "paid": _MONEY,
     "patient_responsibility": _MONEY, "payer_claim_number": _TEXT, "adjustments": _ARRAY,
     "lines": _ARRAY}, {"adjustments": _ADJUSTMENT_JSON, "lines": _LINE_JSON})


def claims_json(claims):
    """The "claims" array of `json835.remittance_json` as compact JSON bytes, the same bytes
    msgspec writes for it (its text escaping for anything but plain printable ASCII)."""
    cdef _JsonOut out = _JsonOut()
    out.array(claims, _CLAIM_JSON)
    return out.value()


def remittance_wire(rem):
    """`json835.remittance_json(rem)` for msgspec to encode, its claims already written as
    JSON (a `msgspec.Raw`, which msgspec copies as it is): the same keys in the same order,
    the same encoded bytes, without a dict per claim, line and adjustment."""
    return _json835.remittance_json(rem, _Raw(claims_json(rem.claims)))
