// WHARF_SQL_REPO(Name, Interface): opens a repository class template over a backend's Query
// (see query.h) that holds the transaction's connection as c_. Internal to src/store/sql.
#pragma once

#define WHARF_SQL_REPO(Name, Iface)                              \
  template <class Q>                                             \
  class Name final : public Iface {                              \
   public:                                                       \
    explicit Name(typename Q::Connection& c) : c_(c) {}          \
                                                                 \
   private:                                                      \
    typename Q::Connection& c_;                                  \
                                                                 \
   public:
