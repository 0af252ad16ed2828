using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Stackless.Emu.Orleans;

/// <summary>
/// The tasklet side of one silo: its scheduler threads (tasklets never run inside grain turns) and the groups living
/// here. Grains reach a group only by posting to its scheduler thread; tasklets reach grains through
/// <see cref="GrainFactory"/>. Stopping the silo stops the threads.
/// </summary>
internal sealed class TaskletNode : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    [ThreadStatic]
    private static TaskletNode? t_current;

    private readonly ConcurrentDictionary<string, LocalGroup> _groups = new(StringComparer.Ordinal);
    private readonly Lock _threadsLock = new();
    private SchedulerThread[]? _threads;
    private int _nextThread;
    private bool _stopped;

    public TaskletNode(IOptions<StacklessNodeOptions> options, IGrainFactory grainFactory, ILogger<TaskletNode> logger)
    {
        Options = options.Value;
        if (Options.SchedulerThreads < 1)
        {
            throw new ArgumentException($"StacklessNodeOptions.SchedulerThreads must be at least 1, not {Options.SchedulerThreads}.", nameof(options));
        }

        GrainFactory = grainFactory;
        Logger = logger;
        Pickle = Options.Pickle.AllowAssemblyOf<TaskletNode>();
    }

    /// <summary>The node serving the calling scheduler thread, or null on any other thread.</summary>
    public static TaskletNode? Current => t_current;

    /// <summary>The options.</summary>
    public StacklessNodeOptions Options { get; }

    /// <summary>The pickle options (the user's, with this library allowed).</summary>
    public PickleOptions Pickle { get; }

    /// <summary>The silo's grain factory, for tasklets calling channel grains.</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>The node's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>True once the node stopped (its silo stops or died).</summary>
    public bool Stopped => Volatile.Read(ref _stopped);

    /// <summary>The group named <paramref name="name"/> if it lives here.</summary>
    public LocalGroup? Find(string name) => _groups.TryGetValue(name, out var group) ? group : null;

    /// <summary>Creates the local part of a group on the least recently chosen scheduler thread.</summary>
    public LocalGroup CreateGroup(string name)
    {
        var threads = Threads();
        var thread = threads[(int)((uint)Interlocked.Increment(ref _nextThread) % (uint)threads.Length)];
        var group = new LocalGroup(this, name, thread);
        _groups[name] = group;
        return group;
    }

    /// <summary>Forgets the local part of a group (it moved away or was dropped).</summary>
    public void RemoveGroup(LocalGroup group) => _groups.TryRemove(new KeyValuePair<string, LocalGroup>(group.Name, group));

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(TaskletNode), ServiceLifecycleStage.RuntimeGrainServices, _ => Task.CompletedTask, _ =>
        {
            Stop();
            return Task.CompletedTask;
        });
    }

    /// <inheritdoc/>
    public void Dispose() => Stop();

    private SchedulerThread[] Threads()
    {
        lock (_threadsLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_threads is null)
            {
                var threads = new SchedulerThread[Options.SchedulerThreads];
                for (var i = 0; i < threads.Length; i++)
                {
                    threads[i] = new SchedulerThread($"Stackless node {i}");
                    // The first action on the thread: every later one (loads, deliveries) sees the node.
                    _ = threads[i].InvokeAsync(() => t_current = this);
                }

                _threads = threads;
            }

            return _threads;
        }
    }

    /// <summary>Stops the scheduler threads: tasklets still alive here are killed (a stopped node keeps nothing).</summary>
    private void Stop()
    {
        SchedulerThread[]? threads;
        lock (_threadsLock)
        {
            _stopped = true;
            threads = _threads;
            _threads = null;
        }

        _groups.Clear();
        foreach (var thread in threads ?? [])
        {
            thread.Dispose();
        }
    }
}
