using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Autograd;

/// <summary>
/// The record an op leaves on its result: its inputs and a closure that maps the result's gradient to
/// one gradient per input (null where an input needs none). Closures capture whatever the forward saved.
/// </summary>
internal sealed class Node(string opName, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string OpName { get; } = opName;
    public Tensor[] Inputs { get; } = inputs;
    public Func<Tensor, Tensor?[]> Backward { get; } = backward;
}

/// <summary>Whether ops record the graph. Off inside <see cref="NoGrad"/> (evaluation, optimiser steps, backward itself).</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    public static bool IsEnabled => _disabledDepth == 0;

    /// <summary><c>using (GradMode.NoGrad()) { ... }</c>: ops inside record nothing.</summary>
    public static IDisposable NoGrad()
    {
        _disabledDepth++;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _disabledDepth--;
        }
    }
}
