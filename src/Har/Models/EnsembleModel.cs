using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Models;

/// <summary>
/// Several trained models as one: the output is log(mean_k softmax(z_k)), so its softmax is the members' mean class
/// probability (the ensemble Hinton et al. 2015 distil into one network). Members may have been trained on different
/// splits and so normalise their input with different statistics: the ensemble takes windows normalised with
/// <c>inputStats</c> and maps them into each member's normalisation first. It names no intermediate features (they
/// belong to one network, not to the mixture), so only logit-based distillation can use it as a teacher. One member is
/// allowed: that model alone behind the same input mapping (<see cref="InputMappedModel"/>).
/// </summary>
public sealed class EnsembleModel : HarModel
{
    private readonly HarModel[] _members;

    public EnsembleModel(IReadOnlyList<HarModel> members, ChannelStats? inputStats, IReadOnlyList<ChannelStats?> memberStats)
        : base(SpecOf(members))
    {
        if (memberStats.Count != members.Count) throw new ArgumentException($"ensemble: {members.Count} members but {memberStats.Count} sets of statistics");
        _members = new HarModel[members.Count];
        for (int k = 0; k < members.Count; k++)
            _members[k] = RegisterModule($"member{k}", InputMappedModel.IfNeeded(members[k], inputStats, memberStats[k]));
    }

    /// <summary>The members, each behind its input mapping: evaluating one scores that run alone on the ensemble's input.</summary>
    public IReadOnlyList<HarModel> Members => _members;

    private static ModelSpec SpecOf(IReadOnlyList<HarModel> members)
    {
        if (members.Count < 1) throw new ArgumentException("ensemble: no members");
        var first = members[0].Spec;
        foreach (var m in members.Skip(1))
            if (m.Spec.Channels != first.Channels || m.Spec.Length != first.Length || m.Spec.Classes != first.Classes)
                throw new ArgumentException($"ensemble: {m.Spec.Name} is built for ({m.Spec.Channels}x{m.Spec.Length}, {m.Spec.Classes} classes), {first.Name} for ({first.Channels}x{first.Length}, {first.Classes})");
        return new ModelSpec($"ensemble({string.Join("+", members.Select(m => m.Spec.Name))})", first.Channels, first.Length, first.Classes);
    }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        Tensor? sum = null;
        foreach (var member in _members)
        {
            var p = member.Forward(x).Softmax(-1);
            sum = sum is null ? p : sum + p;
        }
        // the floor keeps log finite where every member gives a class (numerically) zero probability
        var logits = (sum! * (1f / _members.Length) + 1e-12f).Log();
        return new ModelOutput(logits, [], []);
    }
}
