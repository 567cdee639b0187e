#include "bench/simulated_agents.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "common/base/ids.hpp"
#include "common/resources/resources.hpp"

namespace agora::bench {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SimulatedAgents::SimulatedAgents(zmq::context_t& context, const std::string& endpoint, int count,
                                 const std::string& resources, double taskSeconds)
    : resources_(resources), taskSeconds_(taskSeconds) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < count; ++i) {
    Agent agent;
    agent.socket = std::make_unique<DealerSocket>(context, "sim-" + newUuid());
    agent.socket->connect(endpoint).ignoreError();
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(i);
    int fd = agent.socket->socket()->get(zmq::sockopt::fd);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    agents_.push_back(std::move(agent));
  }
}

SimulatedAgents::~SimulatedAgents() {
  if (epoll_ >= 0) {
    close(epoll_);
  }
}

v1::AgentInfo SimulatedAgents::info(size_t index) const {
  v1::AgentInfo info;
  info.set_hostname("sim-" + std::to_string(index));
  info.set_port(1);
  Resources::parse(resources_)->toProto(info.mutable_resources());
  if (!agents_[index].id.empty()) {
    info.mutable_id()->set_value(agents_[index].id);
  }
  return info;
}

void SimulatedAgents::registerAll() {
  for (size_t i = 0; i < agents_.size(); ++i) {
    v1::Envelope envelope;
    *envelope.mutable_agent_call()->mutable_register_()->mutable_info() = info(i);
    agents_[i].socket->send(envelope);
  }
}

void SimulatedAgents::reregister(size_t index) {
  v1::Envelope envelope;
  auto* call = envelope.mutable_agent_call();
  call->mutable_agent_id()->set_value(agents_[index].id);
  auto* reregister = call->mutable_reregister();
  *reregister->mutable_info() = info(index);
  std::set<std::string> frameworks;
  for (const v1::Task& task : agents_[index].tasks) {
    *reregister->add_tasks() = task;
    if (frameworks.insert(task.framework_id().value()).second) {
      reregister->add_frameworks()->mutable_id()->set_value(task.framework_id().value());
    }
  }
  agents_[index].socket->send(envelope);
}

void SimulatedAgents::sendUpdate(size_t index, const std::string& frameworkId,
                                 const std::string& taskId, v1::TaskState state) {
  v1::Envelope envelope;
  auto* call = envelope.mutable_agent_call();
  call->mutable_agent_id()->set_value(agents_[index].id);
  auto* update = call->mutable_status_update();
  update->mutable_framework_id()->set_value(frameworkId);
  auto* status = update->mutable_status();
  status->mutable_task_id()->set_value(taskId);
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(newUuidBytes());
  status->mutable_agent_id()->set_value(agents_[index].id);
  agents_[index].socket->send(envelope);
}

void SimulatedAgents::handle(size_t index, const v1::Envelope& envelope) {
  const auto& event = envelope.agent_event();
  if (event.has_registered()) {
    agents_[index].id = event.registered().agent_id().value();
    ++registered_;
  } else if (event.has_reregister_request() && !agents_[index].id.empty()) {
    reregister(index);
  } else if (event.has_reregistered()) {
    ++reregistered_;
  } else if (event.has_run_task()) {
    const auto& run = event.run_task();
    ++tasksStarted_;
    sendUpdate(index, run.framework().id().value(), run.task().task_id().value(),
               v1::TASK_RUNNING);
    if (taskSeconds_ > 0) {
      running_.push_back(Running{nowSeconds() + taskSeconds_, index,
                                 run.framework().id().value(), run.task().task_id().value()});
      return;
    }
    v1::Task task;
    task.set_name(run.task().name());
    *task.mutable_task_id() = run.task().task_id();
    *task.mutable_framework_id() = run.framework().id();
    task.mutable_agent_id()->set_value(agents_[index].id);
    task.set_state(v1::TASK_RUNNING);
    *task.mutable_resources() = run.task().resources();
    task.set_role(run.role());
    agents_[index].tasks.push_back(std::move(task));
  }
}

int SimulatedAgents::drain(size_t index) {
  int handled = 0;
  while (auto got = agents_[index].socket->receive()) {
    if (got->isOk()) {
      handle(index, **got);
      ++handled;
    }
  }
  return handled;
}

int SimulatedAgents::pump(int timeoutMillis) {
  int handled = 0;
  // ZMQ_FD signals "the socket's state changed" (edge-like): drain each signalled socket
  // until it has nothing left, or a message could wait for the next change.
  epoll_event ready[256];
  int count = epoll_wait(epoll_, ready, 256, timeoutMillis);
  for (int r = 0; r < count; ++r) {
    handled += drain(static_cast<size_t>(ready[r].data.u64));
  }
  double now = nowSeconds();
  // Taken out first: draining below may start tasks (push onto `running_`).
  std::vector<Running> tasks;
  tasks.swap(running_);
  for (const Running& task : tasks) {
    if (task.due <= now) {
      sendUpdate(task.agent, task.frameworkId, task.taskId, v1::TASK_FINISHED);
      // A send may consume the socket's readable signal: look for input now.
      handled += drain(task.agent);
    } else {
      running_.push_back(task);
    }
  }
  // Every agent heartbeats every kHeartbeatSeconds at its own phase (agent i at i/n of the
  // period), as independent agents do: a synchronised wave of 10,000 heartbeats is not
  // what a master sees from real agents.
  constexpr double kHeartbeatSeconds = 2;
  if (!agents_.empty()) {
    auto due = static_cast<size_t>((now - heartbeatEpoch_) / kHeartbeatSeconds * agents_.size());
    for (; heartbeatsSent_ < due; ++heartbeatsSent_) {
      size_t i = heartbeatsSent_ % agents_.size();
      if (agents_[i].id.empty()) continue;
      v1::Envelope envelope;
      envelope.mutable_agent_call()->mutable_agent_id()->set_value(agents_[i].id);
      envelope.mutable_agent_call()->mutable_heartbeat();
      agents_[i].socket->send(envelope);
      handled += drain(i);
    }
  }
  return handled;
}

}  // namespace agora::bench
