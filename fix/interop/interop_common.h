// Shared by the QuickFIX interop programs: an RFQ application that prints one line per event on stdout,
// so fix/interop/interop.test.ts can follow the conversation without parsing QuickFIX's logs.
#pragma once
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/fix44/Quote.h>
#include <quickfix/fix44/QuoteRequest.h>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

inline void say(const std::string& line) {
  static std::mutex m;
  std::lock_guard<std::mutex> g(m);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

inline std::string possDup(const FIX::Message& msg) {
  FIX::PossDupFlag f(false);
  msg.getHeader().getFieldIfSet(f);
  return f.getValue() ? "Y" : "N";
}

/** Pushes this side's next outgoing MsgSeqNum one past the real one: the peer sees a gap it must heal. */
inline void forceGap(const FIX::SessionID& id) {
  FIX::Session* s = FIX::Session::lookupSession(id);
  if (!s) return;
  int next = s->getExpectedSenderNum();
  s->setNextSenderMsgSeqNum(next + 1);
  say("GAP-FORCED " + std::to_string(next));
}

class InteropApp : public FIX::Application {
 public:
  std::atomic<bool> loggedOn{false};
  std::atomic<bool> loggedOut{false};

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    loggedOn = true;
    say("LOGON " + id.toString());
    logonHook(id);
  }
  void onLogout(const FIX::SessionID&) override {
    if (loggedOn) { loggedOut = true; say("LOGOUT"); }
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& msg, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    FIX::MsgType t;
    msg.getHeader().getField(t);
    if (t == FIX::MsgType_ResendRequest) say("ADMIN-IN ResendRequest");
    else if (t == FIX::MsgType_SequenceReset) say("ADMIN-IN SequenceReset");
    else if (t == FIX::MsgType_Reject) say("ADMIN-IN Reject");
  }
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    FIX::MsgType t;
    msg.getHeader().getField(t);
    if (t == FIX::MsgType_QuoteRequest) onQuoteRequest(msg, id);
    else if (t == FIX::MsgType_Quote) onQuote(msg, id);
    else throw FIX::UnsupportedMessageType();
  }
  virtual void logonHook(const FIX::SessionID&) {}
  virtual void onQuoteRequest(const FIX::Message&, const FIX::SessionID&) { throw FIX::UnsupportedMessageType(); }
  virtual void onQuote(const FIX::Message&, const FIX::SessionID&) { throw FIX::UnsupportedMessageType(); }
};

inline FIX::Message quoteRequest(const std::string& id, const std::string& symbol) {
  FIX44::QuoteRequest req{FIX::QuoteReqID(id)};
  FIX44::QuoteRequest::NoRelatedSym g;
  g.set(FIX::Symbol(symbol));
  g.set(FIX::Side(FIX::Side_BUY));
  g.set(FIX::OrderQty(1000000));
  req.addGroup(g);
  return req;
}
