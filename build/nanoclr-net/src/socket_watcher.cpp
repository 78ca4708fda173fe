// nanoclr-net: one thread polls the descriptors managed threads are parked on (see socket_watcher.h).

#include "socket_watcher.h"

#include <nanoHAL.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace nanoclr_net
{
namespace
{
std::mutex s_lock;
std::map<int, int> s_interest; // fd -> WatchInterest mask
// Never destroyed: a joinable std::thread destroyed at process exit would call std::terminate.
std::thread *s_thread = nullptr;
int s_wakeFd = -1;
bool s_stopping = false;

short PollEventsFor(int interest)
{
    short events = 0;
    if (interest & WatchRead)
    {
        events |= POLLIN;
    }
    if (interest & WatchWrite)
    {
        events |= POLLOUT;
    }
    // POLLERR and POLLHUP are always reported, which covers WatchError.
    return events;
}

void Nudge()
{
    uint64_t one = 1;
    // The eventfd counter cannot overflow in practice; a failed write only delays a rescan.
    (void)!write(s_wakeFd, &one, sizeof(one));
}

void Run()
{
    std::vector<pollfd> fds;
    for (;;)
    {
        fds.clear();
        fds.push_back({s_wakeFd, POLLIN, 0});
        {
            std::lock_guard<std::mutex> guard(s_lock);
            if (s_stopping)
            {
                return;
            }
            for (const auto &entry : s_interest)
            {
                fds.push_back({entry.first, PollEventsFor(entry.second), 0});
            }
        }

        if (poll(fds.data(), fds.size(), -1) < 0)
        {
            continue; // EINTR: rescan
        }

        if (fds[0].revents & POLLIN)
        {
            uint64_t drained;
            (void)!read(s_wakeFd, &drained, sizeof(drained));
        }

        bool fired = false;
        {
            std::lock_guard<std::mutex> guard(s_lock);
            for (size_t i = 1; i < fds.size(); i++)
            {
                // POLLNVAL: the descriptor was closed under us; drop it silently.
                if (fds[i].revents == 0)
                {
                    continue;
                }
                s_interest.erase(fds[i].fd);
                fired = fired || (fds[i].revents & POLLNVAL) == 0;
            }
        }

        if (fired)
        {
            Events_Set(SYSTEM_EVENT_FLAG_SOCKET);
        }
    }
}
} // namespace

void WatchDescriptor(int fd, int interest)
{
    if (fd < 0)
    {
        return;
    }
    std::lock_guard<std::mutex> guard(s_lock);
    if (s_wakeFd < 0)
    {
        s_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        s_stopping = false;
        s_thread = new std::thread(Run);
    }
    s_interest[fd] |= interest;
    Nudge();
}

void ForgetDescriptor(int fd)
{
    std::lock_guard<std::mutex> guard(s_lock);
    if (s_interest.erase(fd) != 0)
    {
        // The watcher may be inside poll() with this fd; make it rescan before the number is reused.
        Nudge();
    }
}

void StopWatcher()
{
    {
        std::lock_guard<std::mutex> guard(s_lock);
        if (s_wakeFd < 0)
        {
            return;
        }
        s_stopping = true;
        s_interest.clear();
        Nudge();
    }
    s_thread->join();
    delete s_thread;
    s_thread = nullptr;
    close(s_wakeFd);
    s_wakeFd = -1;
}
} // namespace nanoclr_net
