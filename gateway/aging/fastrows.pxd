# Types for compiling fastrows.py with Cython (the .py stays plain Python).
import cython


cdef class Columns:
    cdef public Py_ssize_t width, claim, balance, account, name, dob, dos, payer, payer_id
    cdef public Py_ssize_t plan, rank, location, status, proc, billed, paid, adjustments
    cdef public Py_ssize_t label, days
    cdef public list buckets
    cdef public bint has_buckets, check_duplicates
    cdef public object ref
    cdef public dict dates
    cdef public object noise, group, money, cell_text, parse_date, parse_rank, bucket_of_label


cdef class Totals:
    cdef public object group_value, group_sum, all_sum
    cdef public dict seen


@cython.locals(n=Py_ssize_t, i=Py_ssize_t)
cdef bint _is_cents(str s)

cdef object _money(Columns cols, object v)

@cython.locals(n=Py_ssize_t)
cdef str _strip(str s)

cdef str _text(Columns cols, list cells, Py_ssize_t c)

cdef object _date(Columns cols, object v)

@cython.locals(ch=Py_UCS4)
cdef bint _blank_text(str s)

cdef bint _blank(object c)

@cython.locals(width=Py_ssize_t, i=Py_ssize_t, end=Py_ssize_t, found=Py_ssize_t,
               k=Py_ssize_t, c=object, cells=list, item=tuple, first_text=str, claim=str,
               payer=str, account=str, group_value=str, seen=dict, bucket_cols=list, b=list,
               all_text=bint, balance_blank=bint, bad=bint, days=Py_ssize_t, label=str,
               cols_of_bucket=list, ch=Py_UCS4)
cpdef Py_ssize_t plain_rows(list block, Py_ssize_t start, Columns cols, Totals totals, list out)
